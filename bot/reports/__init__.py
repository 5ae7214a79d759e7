"""Reports of nonprocedural recruitment: what the reporter gives, codes and PINs, statuses."""
