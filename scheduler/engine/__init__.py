"""Engine layer: when notices go out and what a run does (PRODUCT.md §3).

Owns the pure decision (`decide`) and the pure rules beside it (`rules`), the bridge from rows
to facts, the notice pipeline's stages, the ports it delivers through (`ports`: transport and
renderer protocols), the template views, forecast/simulate and the status and summary reports.
May import `config` and `store`; never `mail`, `service` or `cli` (mail is reached via `ports`).
"""
