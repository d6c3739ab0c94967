"""The offices' pages, one module per area; ``auth`` holds the gate that guards them all."""
