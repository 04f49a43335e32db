"""The decision report: one finished comparison study as an HTML page and a PDF.

A decision-maker should not need Python, the terminal or a network to read a study. This
package turns a study folder (`manifest.json`, `comparison.csv`, `ranking.csv`, the Parquet
files) into `report-<lang>.html` (charts embedded as data URIs, so the file opens anywhere,
offline) and `report-<lang>.pdf` with the same content, both from one Jinja2 template; the PDF
is the HTML laid out by WeasyPrint. Contents: the question, the scenarios in words, a
headline table with intervals and plain-language verdicts, the charts, the main assumptions
with their sources, what the model leaves out, and provenance (package version, seeds,
scenario hashes) from the manifest.
"""

from simulation.views.report.build import ReportError, ReportFiles, build_report

__all__ = ["ReportError", "ReportFiles", "build_report"]
