"""The one client of OpenAI-compatible chat servers, used by the HTTP system under test and by the LLM
judge alike: transport with deadlines and size caps, retries, the API key kept out of every message.
"""
