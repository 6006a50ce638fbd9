import type { ComponentType } from 'react';
import type { Route } from '../stores/app';
import { OpenScreen } from './Open/OpenScreen';
import { SettingsScreen } from './Settings/SettingsScreen';
import { ChangesScreen } from './Changes';
import { DeploysScreen } from './Deploys/DeploysScreen';
import { BuildsScreen } from './Builds';
import { SystemsScreen, HomesScreen, DroidsScreen } from './Inventory';

/** Which screen each place of the sidebar shows. */
export const screens: Partial<Record<Route, ComponentType>> = {
  systems: SystemsScreen,
  homes: HomesScreen,
  droids: DroidsScreen,
  builds: BuildsScreen,
  changes: ChangesScreen,
  deploys: DeploysScreen,
  settings: SettingsScreen,
  open: OpenScreen,
};
