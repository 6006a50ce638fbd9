import { z } from 'zod';
import { job, query, type CommandSpec } from '../contract';
import type { AndroidDevice, DeviceList, DroidGeneration, SetupReport } from './types';

const serial = z
  .string()
  .min(1, 'a device serial is required (see `fleet droid devices`)')
  .max(256, 'serial is longer than 256 characters')
  .regex(/^[A-Za-z0-9._:@\-[\]]+$/, 'a serial holds letters, digits and . _ : @ - only');

export const droidName = z
  .string()
  .min(1, 'a droid name is required (droids/<name> in the checkout)')
  .max(100, 'droid name is longer than 100 characters')
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'a droid name holds letters, digits, _ . - and does not start with - or .');

/** host:port of a phone with adb over TCP (wireless debugging, or `adb tcpip`). */
const address = z
  .string()
  .min(3, 'an address like 192.168.1.20:5555 is required')
  .max(260)
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'give the address as host:port, e.g. 192.168.1.20:5555');

const user = z.string().min(1).max(64).regex(/^[a-z_][a-z0-9_.-]*$/i, 'not a valid user name');
const identityFile = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains a NUL byte');

/** How to reach the phone: its adb serial, or its network address (ssh on 8022, e.g. tailscale). */
export const phoneRoute = {
  serial: serial.optional(),
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'host: a name or address').optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: user.optional(),
  identityFile: identityFile.optional(),
};

export type PhoneRouteInput = {
  readonly serial?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly identityFile?: string;
};

/** Commands of the android domain: phones over adb, their setup, and Nix-on-Droid deploys. */
export const androidCommands = {
  'devices.list': query<DeviceList>()('Phones the adb server sees, with model, Android version, ABI, battery and state.', z.object({}).strict()),
  'devices.connect': query<AndroidDevice>()(
    'Connect a phone with adb over TCP (`adb connect host:port`).',
    z.object({ address }).strict(),
  ),
  'devices.pair': query<{ readonly message: string }>()(
    'Pair with a phone for Android 11+ wireless debugging (`adb pair host:port` with its pairing code).',
    z.object({ address, code: z.string().regex(/^\d{6}$/, 'the pairing code is the 6 digits the phone shows') }).strict(),
  ),
  'droid.link': query<{ readonly serial: string; readonly droid: string | null }>()(
    'Link a phone (by serial) to a droid configuration, or unlink it with droid: null.',
    z.object({ serial, droid: droidName.nullable() }).strict(),
  ),
  'droid.setup': job<SetupReport>()(
    'Set a phone up for deploys, step by step (ABI, Nix-on-Droid installed, bootstrapped, SSH access, connection test, link); resumable.',
    z
      .object({
        serial,
        droid: droidName,
        /** An APK of Nix-on-Droid on this computer, installed when the app is missing. */
        apkPath: identityFile.optional(),
        /** Type into the phone's Nix-on-Droid terminal without asking first. */
        typeWithoutAsking: z.boolean().optional(),
        user: user.optional(),
        identityFile: identityFile.optional(),
      })
      .strict(),
  ),
  'droid.generations': query<readonly DroidGeneration[]>()(
    "The phone's Nix-on-Droid generations.",
    z.object({ droid: droidName, ...phoneRoute }).strict(),
  ),
} satisfies Record<string, CommandSpec>;
