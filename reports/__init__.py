"""Files and reports for people: spreadsheets, survey results and charts, nomination papers."""
