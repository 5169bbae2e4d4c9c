"""Generator implementations: an OpenAI-compatible server (vLLM) or a local transformers model."""
