"""Everything every environment shares, assembled from the settings of each concern."""

from .cache import *  # noqa: F403
from .caching import *  # noqa: F403
from .channels import *  # noqa: F403
from .core import *  # noqa: F403
from .database import *  # noqa: F403
from .logging import *  # noqa: F403
from .realtime import *  # noqa: F403
from .rest import *  # noqa: F403
from .security import *  # noqa: F403
