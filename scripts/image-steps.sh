#!/bin/sh
# The image's two steps, one script: the Dockerfile runs them and so does test/release/image.test.ts (in a clean
# directory, npm_config_offline=true), so what the image does is tested where no container runtime is.
#   image-steps.sh build <source dir> <out dir>      npm ci (development dependencies: the build needs them), then
#                                                    npm pack (prepack builds dist/) to <out dir>/gitweave-releases.tgz
#   image-steps.sh install <tarball> <lockfile> <install dir>
#                                                    the tarball with --omit=dev into <install dir>, with the
#                                                    dependencies <lockfile> (the source's package-lock.json) names:
#                                                    the versions it was built and tested with (scripts/releaseLock.mjs)
set -eu

case "${1:-}" in
  build)
    src=$2 out=$3
    mkdir -p "$out"
    cd "$src"
    npm ci --no-audit --no-fund --loglevel=error
    name=$(npm pack --pack-destination "$out" --silent | tail -n 1)
    mv "$out/$name" "$out/gitweave-releases.tgz"
    cp package-lock.json scripts/releaseLock.mjs "$out/"
    ;;
  install)
    tarball=$2 lockfile=$3 dir=$4
    node "$(dirname "$0")/releaseLock.mjs" "$tarball" "$lockfile" "$dir"
    cd "$dir"
    npm ci --omit=dev --no-audit --no-fund --loglevel=error
    rm -f "$dir/$(basename "$tarball")"
    # the release's own commands, where a process manager or the image's entrypoint finds them
    test -x node_modules/.bin/gitweave-releases
    test -x node_modules/.bin/gitweave-release
    ;;
  *)
    echo "usage: image-steps.sh build <source dir> <out dir> | install <tarball> <lockfile> <install dir>" >&2
    exit 2
    ;;
esac
