// Allure 3 configuration, read by `allure generate` from package "allure" (pinned in
// package.json). The options are listed under "Configuration" in
// node_modules/allure/README.md. Build the report with `python -m fixtures.report`,
// which also prepares the results.
import { readFileSync } from "node:fs";

// One list of verdict categories serves both report flavours. fixtures/report.py copies
// it into allure-results/categories.json for the classic plugin, while the Awesome plugin
// of Allure 3.18 reads categories only from this config. Allure 3 accepts the Allure 2
// keys used in the file (matchedStatuses, messageRegex).
const categories = JSON.parse(
  readFileSync(new URL("./fixtures/allure_categories.json", import.meta.url), "utf-8"),
);

export default {
  name: "AWS pattern claims",
  output: "./reports/allure-report",
  // Each generate appends one JSON line here and reads the earlier lines to show trends
  // and each test's previous statuses. reports/ is git-ignored, so history lasts as long
  // as the checkout unless CI saves and restores this file. CLAIMS_ALLURE_HISTORY moves
  // it, so a throwaway report does not join the project's history.
  historyPath: process.env.CLAIMS_ALLURE_HISTORY || "./reports/history/history.jsonl",
  historyLimit: 50,
  categories,
  plugins: {
    awesome: {
      options: {
        reportName: "AWS pattern claims",
        // One self-contained index.html, so the report opens over file:// without a server.
        singleFile: true,
        reportLanguage: "en",
        groupBy: ["epic", "feature", "story"],
      },
    },
  },
};
