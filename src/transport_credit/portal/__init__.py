"""The public website's own data and use cases (信用交通门户): policy documents and notices managed by the credit
office, credit reports (PDF, verification code, stored hash and signature), objection and repair applications
with a tracking number, open-data exports.
"""
