"""The prompt templates, shipped as package data so that an installed docqa finds them.

The ``*.txt`` files beside this one are the source of truth; ``service/engine/answering/prompts.py`` loads
and checks them, and ``service.core.settings.shipped_prompts_dir`` locates this folder through the import
system. No code lives here.
"""
