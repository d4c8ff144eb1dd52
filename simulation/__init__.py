"""MC11 e-commerce negotiation simulator: an agent-based model of the WTO talks of 2016-2017."""

__version__ = "0.1.0"
