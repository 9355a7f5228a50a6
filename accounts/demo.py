from accounts.models import User
from core.demo import DEMO_PASSWORD, DemoLogin


def demo_user(email: str, name: str, **fields) -> User:
    """Get or create one demo account with the shared demo password."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, name=name, **fields)
    return user


def create_demo_data() -> list[DemoLogin]:
    demo_user("staff@mutirao.demo", "Sofia Staff", is_staff=True, is_superuser=True)
    demo_user("pessoa@mutirao.demo", "Paula Pessoa", language=User.Language.PORTUGUESE)
    return [
        DemoLogin("staff@mutirao.demo", "platform staff (admin at /admin/)"),
        DemoLogin("pessoa@mutirao.demo", "a person with no company yet"),
    ]
