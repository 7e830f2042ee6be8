"""Development overlay: debug on, local services."""

from investigations.settings.base import *  # noqa: F403
from investigations.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
