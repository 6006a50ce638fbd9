# A package of the homelab itself: prints the message of the day on the hosts.
{ pkgs }:
pkgs.mkPackage {
  pname = "fleet-motd";
  version = "0.3.0";
  size = 4096;
  description = "Message of the day for the homelab's hosts";
}
