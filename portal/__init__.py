"""The interface layer: pages and commands that show or drive several domain apps.

Dependencies point one way: portal → complaints → disclosures → villages → sunshine. Anything that
combines two domain apps (the village page, 乡镇统计, ``tick``, ``seed_demo``) lives here and imports
them explicitly, so a missing name fails at start-up instead of silently doing nothing.
"""
