"""Front Desk: the missed-call desk for home-service shops."""

__version__ = "0.1.0"
APP_NAME = "Front Desk"
APP_ID = "FrontDesk"
