/**
 * PrimeVue configuration: the Aura preset with an indigo primary and slate surfaces; dark while
 * <html> has DARK_CLASS (color-scheme.ts).
 */
import type { PrimeVueConfiguration } from 'primevue/config';
import { definePreset } from '@primeuix/themes';
import Aura from '@primeuix/themes/aura';
import { DARK_CLASS } from './color-scheme.ts';

const SLATE = {
  0: '#ffffff',
  50: '{slate.50}',
  100: '{slate.100}',
  200: '{slate.200}',
  300: '{slate.300}',
  400: '{slate.400}',
  500: '{slate.500}',
  600: '{slate.600}',
  700: '{slate.700}',
  800: '{slate.800}',
  900: '{slate.900}',
  950: '{slate.950}',
};

const FlotillaPreset = definePreset(Aura, {
  semantic: {
    primary: {
      50: '{indigo.50}',
      100: '{indigo.100}',
      200: '{indigo.200}',
      300: '{indigo.300}',
      400: '{indigo.400}',
      500: '{indigo.500}',
      600: '{indigo.600}',
      700: '{indigo.700}',
      800: '{indigo.800}',
      900: '{indigo.900}',
      950: '{indigo.950}',
    },
    colorScheme: {
      light: { surface: SLATE },
      dark: { surface: SLATE },
    },
  },
});

export const primeVueOptions: PrimeVueConfiguration = {
  theme: { preset: FlotillaPreset, options: { darkModeSelector: `.${DARK_CLASS}` } },
};
