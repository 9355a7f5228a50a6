"""E-mail backends for tests that run a real worker process (set by EMAIL_BACKEND)."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class BlockOnceEmailBackend(FileBackend):
    """The file backend, except that the first message ever sent (across processes) blocks
    forever: it creates `$FAULTS_MARKER_DIR/blocked` with its pid and waits to be killed.
    Every later message is written to `EMAIL_FILE_PATH` as usual."""

    def send_messages(self, email_messages):
        marker = Path(os.environ["FAULTS_MARKER_DIR"]) / "blocked"
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().send_messages(email_messages)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        while True:  # mid-task, before anything reached the mail server: kill me here
            time.sleep(0.05)
