"""An experiment of the intake benchmark (`bench/intake.py --writer-lock`); not used by the
application. See base.py."""
