"""FieldArchive (客户档案采集): offline archive of retail customers."""

APP_ID = "FieldArchive"
APP_NAME_ZH = "客户档案采集"
__version__ = "0.1.0"
