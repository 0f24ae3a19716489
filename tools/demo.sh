#!/bin/sh
# demo.sh BUILD_DIR - `make demo`: one city node on a fresh ./demo/LY,
# the article's cases through its store, then it waits for Ctrl-C.
set -eu
bin=$1/city-node
dir=demo/LY
rm -rf "$dir"
mkdir -p demo
echo "demo: starting the city node LY on $dir (Ctrl-C stops it)"
exec "$bin" --topology topology.example --id LY --data "$dir" --demo
