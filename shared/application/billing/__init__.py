"""Use cases of the monthly billing run: start, plan, bill a chunk, finish, review, issue."""
