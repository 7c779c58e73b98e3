#!/usr/bin/env bash
# Leaves three short-lived orphans behind (double fork: their parent subshell exits at once), so they are
# re-parented to the supervisor (PID 1 or child subreaper), which must reap them. Then waits.
for i in 1 2 3; do
  ( sleep 0.3 & )
done
echo "orphans started"
exec sleep 300
