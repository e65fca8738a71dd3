"""Learning records out by standard: xAPI statements sent to a Learning Record Store."""
