"""Prepare the demo database: migrate, seed a catalog when empty, ensure a superuser.

Run by ``make demo`` before the processes start; safe to run again (it keeps the data
and the superuser's password, and it is fast when there is nothing to do).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.catalog.models import Product

#: Where a generated password is kept (git-ignored, readable by the owner only), so that
#: a second ``make demo`` can print it again without resetting it.
CREDENTIALS_FILE = Path(settings.BASE_DIR) / "var" / "demo-credentials.txt"


class Command(BaseCommand):
    help = "Migrate, seed the demo catalog if it is empty, and ensure a demo superuser."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products",
            type=int,
            default=int(os.environ.get("DEMO_PRODUCTS", "5000")),
            help="Products to seed into an empty catalog (default: $DEMO_PRODUCTS or 5000).",
        )
        parser.add_argument(
            "--username", default=os.environ.get("DEMO_USERNAME", "admin"), help="Superuser name."
        )

    def handle(self, *args: Any, products: int, username: str, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")

        if Product.objects.exists():
            self.stdout.write("Catalog already seeded; keeping its data.")
        else:
            self.stdout.write(f"Seeding a demo catalog of {products:,} products...")
            call_command("seed_catalog", products=products, seed=42, stdout=self.stdout)

        password, origin = self.ensure_superuser(username)
        self.stdout.write(
            self.style.SUCCESS(
                "\nThe demo admin: http://127.0.0.1:{port}/admin/\n"
                "  username: {username}\n  password: {password}   ({origin})\n"
                "\nStarting the Procfile's processes (Ctrl-C stops them all):\n"
                "  web     Django's development server on http://127.0.0.1:{port}/\n"
                "  worker  db_worker: runs background jobs queued in the database\n"
                "  resume  resume_jobs --every 30: queues again a job whose worker stopped"
                " (its lease expired)\n"
                "  llm     the local model (Gemma 3 270M) on http://127.0.0.1:{llm_port}/v1 for"
                " the AI actions,\n          unless TOOLKIT_AI_BASE_URL names another"
                " endpoint\n".format(
                    llm_port=os.environ.get("LLM_PORT", "8001"),
                    port=os.environ.get("DEMO_PORT", "8000"),
                    username=username,
                    password=password,
                    origin=origin,
                )
            )
        )

    def ensure_superuser(self, username: str) -> tuple[str, str]:
        """Create or update the demo superuser; return its password and where it came from."""
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        wanted = os.environ.get("DEMO_PASSWORD")
        if wanted:
            origin = "from DEMO_PASSWORD"
        elif user is not None and CREDENTIALS_FILE.exists():
            stored = CREDENTIALS_FILE.read_text().strip()
            if user.check_password(stored):
                return stored, f"generated earlier, kept in {CREDENTIALS_FILE.name}"
            wanted, origin = secrets.token_urlsafe(12), "newly generated"
        else:
            wanted, origin = secrets.token_urlsafe(12), "newly generated"

        if user is None:
            user = User.objects.create_superuser(username=username, email="", password=wanted)
        elif not (user.is_staff and user.is_superuser and user.check_password(wanted)):
            if not user.is_active:
                raise CommandError(f"User {username!r} exists but is inactive; pick --username.")
            user.is_staff = user.is_superuser = True
            user.set_password(wanted)
            user.save()
        if origin == "newly generated":
            CREDENTIALS_FILE.parent.mkdir(exist_ok=True)
            CREDENTIALS_FILE.write_text(wanted + "\n")
            CREDENTIALS_FILE.chmod(0o600)
        return wanted, origin
