"""Revenue protection and tariff planning rules (issue 17): sector water balance, inspection signals and scores,
back-billing assessment, tariff what-if statistics. Pure: no database, clock or I/O."""
