"""EVM chains (Ethereum, BSC, Polygon, Arbitrum) over standard JSON-RPC."""
