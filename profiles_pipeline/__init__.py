"""profiles_pipeline: warehouse-native customer-360 engine (RudderStack Profiles compatible)."""

__version__ = "0.1.0"
