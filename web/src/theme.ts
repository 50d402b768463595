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

/** Colours Aura draws too light for WCAG AA on white (danger red 500, toggle labels slate 500). */
const CONTRAST_FIXES = {
  button: {
    colorScheme: {
      light: {
        root: {
          danger: {
            background: '{red.600}',
            hoverBackground: '{red.700}',
            activeBackground: '{red.800}',
            borderColor: '{red.600}',
            hoverBorderColor: '{red.700}',
            activeBorderColor: '{red.800}',
          },
        },
        outlined: { danger: { color: '{red.700}', borderColor: '{red.300}' } },
        text: { danger: { color: '{red.700}' } },
      },
    },
  },
  togglebutton: {
    colorScheme: { light: { root: { color: '{surface.600}' }, icon: { color: '{surface.600}' } } },
  },
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
    // Indigo 600 under white text passes WCAG AA (500 is 4.47:1); dark keeps Aura's 400 under dark text.
    colorScheme: {
      light: {
        surface: SLATE,
        primary: {
          color: '{primary.600}',
          contrastColor: '#ffffff',
          hoverColor: '{primary.700}',
          activeColor: '{primary.800}',
        },
        highlight: {
          background: '{primary.50}',
          focusBackground: '{primary.100}',
          color: '{primary.800}',
          focusColor: '{primary.900}',
        },
      },
      dark: { surface: SLATE },
    },
  },
  components: CONTRAST_FIXES,
});

export const primeVueOptions: PrimeVueConfiguration = {
  theme: { preset: FlotillaPreset, options: { darkModeSelector: `.${DARK_CLASS}` } },
};
