"""Documents layer: what the product writes for people who never log in (the evidence pack for
inspectors). May import config, store and engine; web and cli import it."""
