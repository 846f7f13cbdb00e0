# Sourced by the scripts that walk contracts/*/Cargo.toml (build-wasm.sh, schema.sh): small
# readers of a Cargo.toml without a TOML parser.

# The `name = "..."` of the [package] section of manifest $1.
package_name() {
  awk '
    /^[[:space:]]*\[/ { in_pkg = ($0 ~ /^[[:space:]]*\[package\][[:space:]]*$/) ; next }
    in_pkg && /^[[:space:]]*name[[:space:]]*=/ {
      sub(/^[^=]*=[[:space:]]*"/, ""); sub(/".*$/, ""); print; exit
    }' "$1"
}
