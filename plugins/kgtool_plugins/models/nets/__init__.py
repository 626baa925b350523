"""The torch modules behind the model plugins. These import torch at module level, so the plugin
modules import them only inside methods (loading plugins stays fast)."""
