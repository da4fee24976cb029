// Copies GOV.UK Frontend's browser bundle next to the compiled CSS.
const fs = require("fs");
const path = require("path");
const out = path.join(__dirname, "..", "tender", "static", "js");
fs.mkdirSync(out, { recursive: true });
fs.copyFileSync(
  path.join(__dirname, "node_modules", "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js"),
  path.join(out, "govuk-frontend.min.js"),
);
