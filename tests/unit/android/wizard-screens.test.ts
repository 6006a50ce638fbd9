import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAppScreen } from '../../../src-main/core/android/phone-ui';
import { sshAccessScript, typedSshAccessCommand } from '../../../src-main/core/android/ssh-access';
import { proposeSshdModule } from '../../../src-main/core/android/sshd-module';

const node = (attrs: string) => `<node ${attrs} />`;
const dump = (inner: string) => `<?xml version='1.0' ?><hierarchy rotation="0">${inner}</hierarchy>`;

describe("reading Nix-on-Droid's first-run screens", () => {
  it('finds the bootstrap dialog and its OK button', () => {
    const xml = dump(
      node('text="Bootstrap zipball location" resource-id="android:id/alertTitle" class="android.widget.TextView" package="com.termux.nix" bounds="[100,1000][980,1100]"') +
        node('text="OK" resource-id="android:id/button1" class="android.widget.Button" package="com.termux.nix" bounds="[780,1300][980,1420]"'),
    );
    expect(readAppScreen(xml)).toEqual({ kind: 'url-dialog', ok: { x: 880, y: 1360 } });
  });

  it('tells the flakes question, a busy terminal and a prompt apart', () => {
    const term = (text: string) => dump(node(`text="${text}" class="com.termux.view.TerminalView" package="com.termux.nix" bounds="[0,80][1080,2280]"`));
    expect(readAppScreen(term('Welcome&#10;Do you want to set it up with flakes? (y/N) ')).kind).toBe('flakes-question');
    expect(readAppScreen(term('Installing first generation...&#10;building'))).toMatchObject({ kind: 'terminal', atPrompt: false });
    expect(readAppScreen(term('Congratulations!&#10;bash-5.2$ '))).toMatchObject({ kind: 'terminal', atPrompt: true });
    expect(readAppScreen(dump(node('text="" class="android.widget.FrameLayout" package="com.google.android.apps.nexuslauncher"')))).toEqual({ kind: 'other', foreground: 'com.google.android.apps.nexuslauncher' });
  });
});

describe('the typed SSH access command', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBk fleet@laptop';

  it('types only base64 characters, pipes and %s spaces', () => {
    const typed = typedSshAccessCommand(key);
    expect(typed).toMatch(/^echo%s[A-Za-z0-9+/=]+\|base64%s-d\|sh$/);
    const script = Buffer.from(typed.slice('echo%s'.length, typed.indexOf('|')), 'base64').toString();
    expect(script).toBe(sshAccessScript(key));
    expect(script).toContain(`key='${key}'`);
    expect(script).toContain('Port 8022');
  });

  it('refuses something that is not a public key line', () => {
    expect(() => sshAccessScript("ssh-ed25519 AAAA'; rm -rf ~")).toThrow();
  });
});

describe('proposing the sshd module for a droid', () => {
  function homelab(droidText: string, withModule = true): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-droid-'));
    fs.mkdirSync(path.join(root, 'droids/phone'), { recursive: true });
    fs.writeFileSync(path.join(root, 'droids/phone/default.nix'), droidText);
    if (withModule) {
      fs.mkdirSync(path.join(root, 'modules/droid'), { recursive: true });
      fs.writeFileSync(path.join(root, 'modules/droid/sshd.nix'), '{ ... }: { }\n');
    }
    return root;
  }

  it('offers a diff adding homelab.sshd.enable', () => {
    const root = homelab('{ pkgs, ... }:\n{\n  user.userName = "me";\n}\n');
    const edit = proposeSshdModule(root, 'phone');
    expect(edit?.relative).toBe('droids/phone/default.nix');
    expect(edit?.diff).toContain('+  homelab.sshd.enable = true;');
    expect(edit?.next).toBe('{ pkgs, ... }:\n{\n  homelab.sshd.enable = true; # SSH on 8022 for fleet deploys\n  user.userName = "me";\n}\n');
  });

  it('offers nothing when sshd is already on or the homelab has no sshd module', () => {
    expect(proposeSshdModule(homelab('{ ... }:\n{\n  homelab.sshd.enable = true;\n}\n'), 'phone')).toBeUndefined();
    expect(proposeSshdModule(homelab('{ ... }:\n{\n}\n', false), 'phone')).toBeUndefined();
  });
});
