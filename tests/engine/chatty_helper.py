"""A link pass helper that says what the finishing process does not understand, then would work
on for half a minute (``test_key_helper``: it is stopped at once)."""

import time

if __name__ == "__main__":
    print("hello there", flush=True)
    time.sleep(30)
