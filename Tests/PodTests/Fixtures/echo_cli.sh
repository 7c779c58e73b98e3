#!/usr/bin/env bash
# A line-oriented fake agent: echoes lines back, and reports the terminal size on "size".
echo "echo-cli ready"
while IFS= read -r line; do
  case "$line" in
    size) echo "SIZE $(stty size)" ;;
    *) echo "ECHO:$line" ;;
  esac
done
