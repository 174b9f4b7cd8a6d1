"""Where a model runs, as the config, the CLI and the spaCy component name it: torch-free, so each may import it."""

DEVICES = ("auto", "cpu", "cuda")  # auto = CUDA when available, else CPU (model_folder.resolve_device)
