import { shQuote } from './shell-quote';

/**
 * The one command typed into Nix-on-Droid's terminal to give the admin SSH access: a
 * base64-encoded script (so `input text` only ever types [A-Za-z0-9+/=|-] and spaces),
 * which adds the public key to authorized_keys, makes a host key, writes an sshd config
 * for port 8022 and starts sshd.
 */
export function sshAccessScript(publicKey: string): string {
  if (!/^[a-z0-9-]+ [A-Za-z0-9+/=]+( [^\n'"\\]*)?$/.test(publicKey)) throw new Error('not an OpenSSH public key line');
  return `set -e
umask 077
mkdir -p "$HOME/.ssh"
f="$HOME/.ssh/authorized_keys"
key=${shQuote(publicKey)}
touch "$f"
grep -qxF "$key" "$f" || printf '%s\\n' "$key" >> "$f"
hk="$HOME/.ssh/ssh_host_ed25519_key"
[ -f "$hk" ] || ssh-keygen -q -t ed25519 -N '' -f "$hk"
c="$HOME/.ssh/fleet_sshd_config"
printf 'Port 8022\\nHostKey %s\\nPasswordAuthentication no\\nKbdInteractiveAuthentication no\\nAuthorizedKeysFile .ssh/authorized_keys\\nPidFile %s\\nSetEnv PATH=%s\\n' "$hk" "$HOME/.ssh/sshd.pid" "$PATH" > "$c"
if [ -s "$HOME/.ssh/sshd.pid" ]; then kill "$(cat "$HOME/.ssh/sshd.pid")" 2>/dev/null || true; sleep 0.5; fi
"$(command -v sshd)" -f "$c"
echo FLEET_SSH_READY
`;
}

/** The line typed into the terminal, in `input text` form (%s is a space). */
export function typedSshAccessCommand(publicKey: string): string {
  const encoded = Buffer.from(sshAccessScript(publicKey)).toString('base64');
  return `echo ${encoded}|base64 -d|sh`.replace(/ /g, '%s');
}
