// ESLint for the field app's own modules (make lint); vendored libraries are linted by their authors.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["pwa/vendor/**", "node_modules/**", ".venv/**", "tests/**"] },
  js.configs.recommended,
  {
    files: ["pwa/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      // Leaflet (L) and Chart.js (Chart) are vendored scripts the shell loads before the modules.
      globals: { ...globals.browser, L: "readonly", Chart: "readonly" },
    },
    rules: {
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none", ignoreRestSiblings: true }],
    },
  },
  {
    files: ["pwa/sw.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.serviceworker } },
  },
];
