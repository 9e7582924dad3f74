"""Forms of the contacts pages: leads and lead settings, and companies and contacts."""
