"""诚信缺失突出问题专项治理: campaigns on a field's dishonest subjects, the actions taken on each, their rectification
(整改销号)."""
