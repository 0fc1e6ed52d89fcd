"""``python -m voicebot`` is the same as the ``voicebot`` command."""

import sys

from voicebot.cli import main

sys.exit(main())
