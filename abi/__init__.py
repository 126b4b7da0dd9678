"""abi: a Linux ABI library OS and the tools around it."""
