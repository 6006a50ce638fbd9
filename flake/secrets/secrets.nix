# agenix: which public keys each .age file is encrypted to (read by the `agenix` CLI,
# never imported into a configuration). Re-key with `agenix -r` after editing.
let
  soriphoono = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+kTmIc3lcEYmmRg0o5pA7w6Vqi6sC03Bj0lla8/PL3 soriphoono@zephyrus";
  users = [ soriphoono ];

  moonlight = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFY7cSVBtkpbL/f3DTJvhdGphkVTfFrprX8+29LTtNXN root@moonlight";
  zephyrus = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP5PMjzOZheq5bmm95CVKQanwyz2LfHK7+cW1bEuN9n8 root@zephyrus";
  lgLaptop = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMhxemBOf1R1QlO4Y1PUN9UymCHiw6//kKuQ1bvBLzh5 root@lg-laptop";
  dockerNode = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1NqaerWXEWf1Kmf2B9ZI/CG4z4/haKxktJXrbgczRl root@docker-node";
  systems = [ moonlight zephyrus lgLaptop dockerNode ];
in
{
  "wireguard-moonlight.age".publicKeys = users ++ [ moonlight ];
  "restic-password.age".publicKeys = users ++ [ moonlight dockerNode ];
  "nix-access-tokens.age".publicKeys = users ++ systems;
}
