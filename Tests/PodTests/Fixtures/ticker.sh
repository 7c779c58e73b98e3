#!/usr/bin/env bash
# Prints a numbered tick every 20 ms and never reads its input (echo off, non-canonical), so input sent to it
# piles up in the terminal: the supervisor's output must keep flowing regardless.
stty -echo -icanon
n=0
while :; do
  echo "tick $n"
  n=$((n + 1))
  sleep 0.02
done
