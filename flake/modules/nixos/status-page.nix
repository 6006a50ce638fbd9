# services.status-page: a tiny HTTP status page (GET /health) that deploy health checks ask.
# `fault` makes it misbehave on purpose, to see a deploy's checks fail and roll back:
#   "crash"      the service exits at start (unit failed);
#   "unhealthy"  it runs but answers 503 (HTTP and command checks fail).
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkIf types;
  cfg = config.services.status-page;
  # socat and curl come from the machine (like the other stand-in packages' real commands).
  statusPage = lib.build.writeScript {
    name = "status-page";
    inherit (pkgs) system;
    text = ''
      # status-page serve PORT FAULT | status-page respond FAULT | status-page --check [PORT]
      PATH=/usr/bin:/bin:$PATH
      case "''${1:-}" in
        serve)
          if [ "$3" = crash ]; then echo "status-page: cannot open /var/lib/status-page/state: No such file or directory" >&2; exit 1; fi
          echo "status-page: listening on port $2"
          exec socat "TCP-LISTEN:$2,reuseaddr,fork" "EXEC:$0 respond $3" ;;
        respond)
          read -r request_line || exit 0
          while read -r header && [ "$(printf '%s' "$header" | tr -d '\r')" != "" ]; do :; done
          if [ "$2" = unhealthy ]; then printf 'HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nunhealthy: the database is not ready\n'
          else printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n'; fi ;;
        --check)
          exec curl -fsS --max-time 5 "http://127.0.0.1:''${2:-${toString cfg.port}}/health" ;;
        *) echo "usage: status-page serve PORT FAULT | --check [PORT]" >&2; exit 2 ;;
      esac
    '';
  };
  statusPagePackage = lib.build.runCommand {
    name = "status-page-1.0";
    inherit (pkgs) system;
    script = ''
      mkdir -p "$out/bin"
      ln -s ${statusPage} "$out/bin/status-page"
    '';
  };
in
{
  options.services.status-page = {
    enable = lib.mkEnableOption "the HTTP status page";
    port = mkOption { type = types.int; default = 8080; description = "TCP port of the status page."; };
    fault = mkOption {
      type = types.enum [ "none" "crash" "unhealthy" ];
      default = "none";
      description = "Make the service fail its health checks on purpose.";
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ statusPagePackage ];
    networking.firewall.allowedTCPPorts = [ cfg.port ];
    systemd.services.status-page = {
      description = "HTTP status page";
      execStart = "${statusPagePackage}/bin/status-page serve ${toString cfg.port} ${cfg.fault}";
      after = [ "network.target" ];
      standInRun = true;
    };
  };
}
