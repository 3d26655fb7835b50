"""Step reports to government platforms (12345 转办): orders filed on the ``gov_api``
channel report each step back to the platform's URL, signed like its requests to us."""
