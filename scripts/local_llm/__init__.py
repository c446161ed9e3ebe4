"""Helpers of ``scripts/local-llm`` (the entry point): installing the ``local-llm`` extra
with a progress line (``install.py``) and the stand-in that answers on the model's port
until the model does (``placeholder.py``). The status they report is kept by
``demo/local_model.py``.
"""
