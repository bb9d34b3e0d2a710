"""What the development commands use: the benchmark, its Django-free baselines, the demo repository.

Nothing here is imported by the product at run time; ``bare`` must stay free of Django.
"""
