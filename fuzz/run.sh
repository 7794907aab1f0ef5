#!/usr/bin/env bash
# One command for a coverage-guided campaign: ./fuzz/run.sh <parse|options|stack> [seconds]
# Builds the harness, instruments Reactive.Tcp.dll with SharpFuzz, writes the seed corpus and runs
# afl-fuzz on it. Findings land in fuzz/findings/<target>/default/{crashes,hangs,queue}.
# Needs: apt-get install -y afl++ ; dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
set -euo pipefail
target=${1:?usage: fuzz/run.sh <parse|options|stack> [seconds]}
seconds=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out/$target
export PATH="$PATH:$HOME/.dotnet/tools"

rm -rf "$out"
dotnet publish "$here/RxTcp.Fuzz/RxTcp.Fuzz.csproj" -c Release -o "$out" --nologo -v quiet
# Seeds first: instrumented code writes to AFL's shared memory and cannot run outside afl-fuzz.
dotnet "$out/RxTcp.Fuzz.dll" seeds "$out/seeds"
# Only the stack is instrumented: AFL's edge map then measures coverage of the code under test,
# not of Rx or the harness.
sharpfuzz "$out/Reactive.Tcp.dll"

mkdir -p "$here/findings"
# dotnet is not an AFL-instrumented binary (SharpFuzz speaks the forkserver protocol from managed
# code), and containers rarely let us tune the CPU governor or core_pattern.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=${AFL_NO_UI:-}
exec afl-fuzz -i "$out/seeds/$target" -o "$here/findings/$target" -t 5000 -m none ${seconds:+-V $seconds} \
  -- dotnet "$out/RxTcp.Fuzz.dll" "$target"
